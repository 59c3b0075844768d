#pragma once
// Public header of the service module.
#include "service/chat_handler.h"
#include "service/clip_generator.h"
#include "service/crypto.h"
#include "service/generation_cost.h"
#include "service/rate_limiter.h"
#include "service/service_config.h"
#include "service/studio.h"
