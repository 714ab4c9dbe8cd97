/* http: to be written */
#include "config.h"
