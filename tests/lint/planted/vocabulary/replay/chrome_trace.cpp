// Planted violation for lint/report_vocabulary: a reporting source that includes the live state.
#include "runtime/runtime_state.h"
