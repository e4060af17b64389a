// Planted layering violation: scenarios includes replay.
#include "replay/run_session.h"
