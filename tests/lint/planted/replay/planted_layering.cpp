// Planted layering violation: replay includes the CLI.
#include "tools/cli.h"
