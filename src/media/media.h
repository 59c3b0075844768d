#pragma once
// Public header of the media module: probe, decode, scale, encode, audio operations,
// synthetic test media. FFmpeg stays inside the module's .cpp files.
#include "media/audio_decoder.h"
#include "media/audio_ops.h"
#include "media/encoder.h"
#include "media/frame.h"
#include "media/probe.h"
#include "media/scaler.h"
#include "media/testsrc.h"
#include "media/video_decoder.h"
