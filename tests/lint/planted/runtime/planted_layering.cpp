// Planted layering violations: runtime includes the scenario language and Boost.Graph.
#include "scenarios/scenario.h"
#include <boost/graph/adjacency_list.hpp>
