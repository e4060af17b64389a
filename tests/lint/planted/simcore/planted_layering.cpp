// Planted layering violation: simcore includes a model layer above it.
#include "hwmodel/gm_layout.h"
