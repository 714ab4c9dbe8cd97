/* cfg: to be written */
#include "config.h"
