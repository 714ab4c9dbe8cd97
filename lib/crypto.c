/* crypto: to be written */
#include "config.h"
