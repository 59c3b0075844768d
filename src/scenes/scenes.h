#pragma once
// Public header of the scenes module: procedural clips and captions, the data set of kino-tiny.
// Depends on core and media only.
#include "scenes/scene.h"
#include "scenes/scene_caption.h"
#include "scenes/scene_dataset.h"
#include "scenes/scene_measure.h"
#include "scenes/scene_render.h"
