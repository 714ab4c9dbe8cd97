/* token: to be written */
#include "config.h"
