#include "timeline/draft.h"
