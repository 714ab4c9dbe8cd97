/* jwt: to be written */
#include "config.h"
