/* b64url: to be written */
#include "config.h"
