/* log: to be written */
#include "config.h"
