// Planted violation: SimGrid included outside simcore/.
#include <simgrid/s4u.hpp>
