// Planted layering violation: hwmodel includes a runtime header.
#include "runtime/program.h"
