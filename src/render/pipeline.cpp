#include "render/pipeline.h"

#include <chrono>
#include <thread>
#include <vector>

#include "core/error.h"
#include "render/frame_queue.h"

namespace kino::render {
namespace {

struct Item {
  int64_t n = 0;
  media::Frame frame;
  std::vector<float> audio;
};

// An error carried from the worker to the caller's thread as data.
struct Status {
  ErrorCode code = ErrorCode::ok;
  std::string message;
};

}  // namespace

int64_t audio_samples_before(int64_t n, Rational fps) {
  return int64_t((__int128(n) * kMixRate * fps.den) / fps.num);
}

void run_pipeline(Compositor& compositor, AudioMix& audio, media::Encoder& encoder, Rational fps,
                  const PipelineParams& params) {
  const int64_t total = compositor.frame_count();
  const media::EncodeParams& ep = encoder.params();
  BoundedQueue<Item> free_frames(params.queue_frames + 2);
  BoundedQueue<Item> full(params.queue_frames);
  for (size_t i = 0; i < params.queue_frames + 2; ++i) {
    Item item;
    item.frame = media::Frame(media::PixelFormat::yuv420p, ep.width, ep.height);
    free_frames.push(std::move(item));
  }

  Status worker_status;
  std::thread worker([&] {
    try {
      for (int64_t n = 0; n < total; ++n) {
        params.cancel.check("render");
        std::optional<Item> item = free_frames.pop();
        if (!item) break;
        item->n = n;
        compositor.compose(n, item->frame);
        item->audio.clear();
        if (params.audio) {
          const int64_t samples = audio_samples_before(n + 1, fps) - audio_samples_before(n, fps);
          audio.render(size_t(samples), item->audio);
        }
        if (!full.push(std::move(*item))) break;
      }
    } catch (const Error& e) {
      worker_status = {e.code(), e.what()};
    } catch (const std::exception& e) {
      worker_status = {ErrorCode::internal, e.what()};
    }
    full.close();
  });

  Status encode_status;
  const auto start = std::chrono::steady_clock::now();
  try {
    while (std::optional<Item> item = full.pop()) {
      params.cancel.check("render");
      encoder.write_video(item->frame);
      if (!item->audio.empty())
        encoder.write_audio(item->audio.data(), item->audio.size() / kMixChannels);
      if (params.progress) {
        Progress p;
        p.done = item->n + 1;
        p.total = total;
        p.elapsed_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        p.stage = "render";
        params.progress(p);
      }
      free_frames.push(std::move(*item));
    }
  } catch (const Error& e) {
    encode_status = {e.code(), e.what()};
  } catch (const std::exception& e) {
    encode_status = {ErrorCode::internal, e.what()};
  }
  free_frames.close();
  full.close();
  worker.join();
  // The first failure wins; a cancel seen by either side is a cancel.
  if (params.cancel.cancelled()) fail(ErrorCode::cancelled, "render cancelled");
  if (worker_status.code != ErrorCode::ok) fail(worker_status.code, worker_status.message);
  if (encode_status.code != ErrorCode::ok) fail(encode_status.code, encode_status.message);
}

}  // namespace kino::render
