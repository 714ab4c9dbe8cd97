/* hosts: to be written */
#include "config.h"
