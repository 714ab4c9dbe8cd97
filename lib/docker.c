/* docker: to be written */
#include "config.h"
