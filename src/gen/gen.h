#pragma once
// Public header of the gen module (the diffusion engine). It exposes what other modules and the
// app need without pulling in LibTorch: video generation (VideoGenerator), camera presets, model
// folder inspection, configuration detection and the component runner. The LibTorch-facing
// headers (wan_dit.h, tensor_io.h, weight_set.h) are internal to the module and its tests.
#include "gen/camera_presets.h"
#include "gen/component_run.h"
#include "gen/model_folder.h"
#include "gen/safetensors_file.h"
#include "gen/umt5_config.h"
#include "gen/umt5_tokenizer.h"
#include "gen/video_generator.h"
#include "gen/wan_config.h"
#include "gen/wan_names.h"
