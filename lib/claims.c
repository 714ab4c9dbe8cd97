/* claims: to be written */
#include "config.h"
