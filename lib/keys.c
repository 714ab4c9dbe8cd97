/* keys: to be written */
#include "config.h"
