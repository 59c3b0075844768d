// Many machines in one process tree: an API-side Studio (no workers) and a separate
// `kino worker` process share a private PostgreSQL server and a data folder. Renders
// submitted on the API side are run by the worker; stopping the worker puts its job in
// flight back in the queue.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/error.h"
#include "core/id.h"
#include "media/media.h"
#include "service/service.h"
#include "service/support/test_clip_generator.h"
#include "store/pg_test_server.h"
#include "support/test_dir.h"

namespace kino::service {
namespace {

using kino::testing::PgTestServer;
using Clock = std::chrono::steady_clock;

class WorkerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      url = PgTestServer::shared().create_schema("w" + make_id("", 8));
    } catch (const std::exception& e) {
      FAIL() << e.what();
    }
  }
  void TearDown() override {
    if (worker > 0) stop_worker(SIGKILL);
  }

  ServiceConfig config() {
    ServiceConfig c;
    c.data_dir = dir / "data";
    c.database_url = url;
    return c;
  }

  // Starts `kino worker` on the shared database and data folder; output goes to a log.
  void start_worker() {
    const std::string bin = KINO_BINARY, db = url, data = (dir / "data").string();
    const std::string log = (dir / "worker.log").string();
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    ASSERT_GE(fd, 0);
    const pid_t parent = ::getpid();
    worker = ::fork();
    if (worker == 0) {
      ::dup2(fd, 1);
      ::dup2(fd, 2);
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
      if (::getppid() != parent) ::_exit(1);
      ::setenv("KINO_BUILTIN_MODEL", "none", 1);  // the tests' jobs go to their own generators
      ::execl(bin.c_str(), bin.c_str(), "worker", "--db", db.c_str(), "--data", data.c_str(),
              "--render-workers", "1", "--sweep-seconds", "1", static_cast<char*>(nullptr));
      ::_exit(127);
    }
    ::close(fd);
    ASSERT_GT(worker, 0);
  }

  // Sends `sig` and waits for the worker to exit; returns its exit status (-1: killed).
  int stop_worker(int sig) {
    ::kill(worker, sig);
    int status = 0;
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    while (::waitpid(worker, &status, WNOHANG) == 0) {
      if (Clock::now() > deadline) {
        ::kill(worker, SIGKILL);
        ::waitpid(worker, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    worker = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }

  std::string worker_log() {
    std::ifstream in(dir / "worker.log");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  // A signed-in caller with a session holding one uploaded image.
  struct Setup {
    Caller caller;
    std::string session_id;
    std::string media_id;
  };
  Setup setup(Studio& api) {
    Setup s;
    s.caller = api.authenticate("Bearer " + api.anonymous_token("client"));
    s.session_id = api.session_create(s.caller, Json::object())["session_id"];
    const auto png = dir / "a.png";
    media::write_test_image(png, 64, 48);
    const auto temp = api.upload_temp_path();
    std::filesystem::copy_file(png, temp);
    s.media_id = api.upload_add(s.caller, s.session_id, temp, "a.png")["media_id"];
    return s;
  }

  static Json still_draft(const std::string& media_id, int w, int h, int64_t ms) {
    return Json{{"v", 1},
                {"canvas", {{"w", w}, {"h", h}, {"fps", 15}}},
                {"t",
                 {{{"id", "tr_v"},
                   {"tt", 0},
                   {"sg", {{{"id", "sg_a"}, {"start", 0}, {"d", ms}, {"src", media_id}}}}}}}};
  }

  // Polls the render's status until `done(status)` holds or a minute passes.
  template <typename Pred>
  Json wait_status(Studio& api, const Caller& c, const std::string& id, Pred done) {
    Json st;
    const auto deadline = Clock::now() + std::chrono::seconds(60);
    do {
      st = api.render_status(c, id);
      if (done(st["status"].get<std::string>())) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (Clock::now() < deadline);
    return st;
  }

  kino::testing::TestDir dir{"worker"};
  std::string url;
  pid_t worker = -1;
};

TEST_F(WorkerTest, AnotherProcessRendersWhatTheApiQueued) {
  Studio api(config());  // an API server with no workers of its own
  Setup s = setup(api);
  start_worker();
  Json queued = api.render_submit(s.caller,
                                  Json{{"id", "r1"},
                                       {"sessionId", s.session_id},
                                       {"draft", still_draft(s.media_id, 320, 240, 1000)}},
                                  SkillHeaders{});
  EXPECT_EQ(queued["status"], "queued");
  Json st = wait_status(api, s.caller, "r1",
                        [](const std::string& w) { return w == "completed" || w == "failed"; });
  ASSERT_EQ(st["status"], "completed") << st.dump() << "\n" << worker_log();
  EXPECT_EQ(st["progress"], 1.0);

  // The download link the API server signs serves the file the worker wrote.
  const std::string link = st["output"]["url"];
  const size_t name_at = link.find("/api/files/renders/") + 19;
  const std::string name = link.substr(name_at, link.find('?') - name_at);
  const std::string exp =
      link.substr(link.find("exp=") + 4, link.find('&') - link.find("exp=") - 4);
  const std::string sig = link.substr(link.find("sig=") + 4);
  DownloadFile f = api.download("renders", name, exp, sig);
  media::MediaInfo info = media::probe(f.path);
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 240);
  EXPECT_NEAR(double(info.duration_ms), 1000.0, 100.0);
  EXPECT_EQ(int64_t(st["output"]["size"]), int64_t(std::filesystem::file_size(f.path)));
  EXPECT_EQ(api.store().job_find(s.caller.account_id, "render", "r1")->attempts, 1);

  EXPECT_EQ(stop_worker(SIGTERM), 0) << worker_log();
}

TEST_F(WorkerTest, StoppingAWorkerRequeuesItsJobInFlight) {
  Studio api(config());
  Setup s = setup(api);
  start_worker();
  // Long enough to be in flight when the stop arrives (a minute of 1080p).
  api.render_submit(s.caller,
                    Json{{"id", "long"},
                         {"sessionId", s.session_id},
                         {"draft", still_draft(s.media_id, 1920, 1080, 60000)}},
                    SkillHeaders{});
  Json st = wait_status(api, s.caller, "long", [](const std::string& w) { return w != "queued"; });
  ASSERT_EQ(st["status"], "rendering") << st.dump() << "\n" << worker_log();
  EXPECT_EQ(stop_worker(SIGTERM), 0) << worker_log();
  auto job = api.store().job_find(s.caller.account_id, "render", "long");
  ASSERT_TRUE(job);
  EXPECT_EQ(job->state, store::JobState::queued) << worker_log();
  EXPECT_EQ(job->attempts, 1);
  EXPECT_EQ(api.render_status(s.caller, "long")["status"], "queued");
  EXPECT_NE(worker_log().find("re-queued 1 job(s) in flight"), std::string::npos) << worker_log();
}

TEST_F(WorkerTest, AKilledWorkersJobIsTakenBackByTheSweep) {
  Studio api(config());
  Setup s = setup(api);
  start_worker();
  api.render_submit(s.caller,
                    Json{{"id", "long"},
                         {"sessionId", s.session_id},
                         {"draft", still_draft(s.media_id, 1920, 1080, 60000)}},
                    SkillHeaders{});
  Json st = wait_status(api, s.caller, "long", [](const std::string& w) { return w != "queued"; });
  ASSERT_EQ(st["status"], "rendering") << worker_log();
  EXPECT_EQ(stop_worker(SIGKILL), -1);  // a crash: no goodbye, its session just ends
  // What a live server's periodic sweep does once the database has ended the session.
  int64_t requeued = 0;
  for (int i = 0; i < 200 && requeued == 0; ++i) {
    requeued = api.store().job_requeue_running();
    if (requeued == 0) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(requeued, 1);
  EXPECT_EQ(api.render_status(s.caller, "long")["status"], "queued");
}

TEST_F(WorkerTest, AGenerationCancelledThroughAnotherServerStopsWhereItRuns) {
  // Two servers on the same store: `gpu` has a model and runs generations, `api` takes
  // the requests and the cancel.
  auto gpu_gen = std::make_unique<kino::testing::TestClipGenerator>();
  auto* held = gpu_gen.get();
  held->hold();
  Studio gpu(config());
  gpu.set_clip_generator(std::move(gpu_gen));
  gpu.start_workers();
  ServiceConfig remote = config();
  remote.generation_remote = true;  // no model on the API side
  Studio api(remote);
  Caller c = api.authenticate("Bearer " + api.anonymous_token("client"));
  const std::string sid = api.session_create(c, Json::object())["session_id"];
  api.generation_submit(c, Json{{"id", "g1"},
                                {"sessionId", sid},
                                {"prompt", "a fox in the snow"},
                                {"seconds", 1},
                                {"resolution", "480p"}});
  EXPECT_GT(api.credits_balance(c)["frozen"].get<int64_t>(), 0);
  ASSERT_TRUE(held->wait_started(1));  // the other server took it
  EXPECT_EQ(api.generation_cancel(c, "g1")["status"], "cancelled");
  // The running server hears the finish through the store and stops its run.
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (held->cancelled() == 0 && Clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_EQ(held->cancelled(), 1);
  EXPECT_EQ(held->finished(), 0);
  gpu.stop_workers();
  EXPECT_EQ(api.credits_balance(c)["frozen"], 0);
  EXPECT_EQ(api.credits_balance(c)["available"], 100);
  EXPECT_EQ(api.generation_status(c, "g1")["status"], "cancelled");
}

TEST_F(WorkerTest, AnApiServerWithoutAModelQueuesGenerationsForAServerWithOne) {
  auto gpu_gen = std::make_unique<kino::testing::TestClipGenerator>();
  auto* gen = gpu_gen.get();
  Studio gpu(config());
  gpu.set_clip_generator(std::move(gpu_gen));
  gpu.start_workers();
  Studio plain(config());  // no model and no remote generation: refused, nothing charged
  Caller pc = plain.authenticate("Bearer " + plain.anonymous_token("plain"));
  const std::string psid = plain.session_create(pc, Json::object())["session_id"];
  try {
    plain.generation_submit(pc, Json{{"sessionId", psid}, {"prompt", "a fox"}, {"seconds", 1}});
    FAIL() << "accepted without a model";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::unavailable);
  }
  EXPECT_EQ(plain.credits_balance(pc)["available"], 100);

  ServiceConfig remote = config();
  remote.generation_remote = true;
  Studio api(remote);
  api.start_workers();  // render workers only: no model here, so no generation worker
  Caller c = api.authenticate("Bearer " + api.anonymous_token("client"));
  const std::string sid = api.session_create(c, Json::object())["session_id"];
  Json v = api.generation_submit(c, Json{{"id", "g1"},
                                         {"sessionId", sid},
                                         {"prompt", "a fox in the snow"},
                                         {"seconds", 1},
                                         {"resolution", "480p"}});
  const int64_t cost = v["credits"];
  EXPECT_GT(cost, 0);
  Json st;
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  do {
    st = api.generation_status(c, "g1");
    if (st["status"] == "completed" || st["status"] == "failed") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  } while (Clock::now() < deadline);
  ASSERT_EQ(st["status"], "completed") << st.dump();
  EXPECT_EQ(gen->finished(), 1);
  EXPECT_EQ(api.credits_balance(c)["available"], 100 - cost);
  EXPECT_EQ(api.credits_balance(c)["frozen"], 0);
  // The clip the other server made is in this session's state, its file in the shared
  // folder.
  Json state = api.state(c, sid)["state"];
  ASSERT_EQ(state["generated_media"].size(), 1u) << state.dump();
  EXPECT_TRUE(std::filesystem::exists(
      api.blobs().media_path(state["generated_media"][0]["media_id"].get<std::string>())));
}

}  // namespace
}  // namespace kino::service
