// A known workload for the blocking-call counter (blocking_calls.cpp): a few actors that call each
// interposed s4u function a known number of times, then print what the counter must report, in its
// own format. tools/bench/check_blocking_calls.sh runs it under the counter and compares.
//
// It checks two things the bare program cannot: that every wrapper forwards its arguments and
// result correctly (a wrong signature would crash or hang here), and that calls SimGrid makes on
// its own behalf (sleep_until's sleep_for, Mailbox::get's wait, Mailbox::put's wait) count once.
// Left out: this_actor::parallel_execute (it needs the ptask network model) and
// Io::wait_any_for (it needs disks); their wrappers forward the same way as the others.

#include <simgrid/s4u.hpp>

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

namespace sg4 = simgrid::s4u;

namespace {

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "ptosim_blocking_calls_check: %s\n", what);
  std::abort();
}

// Sleeps, executions, yield and suspend, on a host with two cores (thread_execute uses both).
void timing_calls() {
  sg4::this_actor::sleep_for(10);
  sg4::this_actor::sleep_until(20);  // SimGrid calls sleep_for inside: still one call
  sg4::this_actor::yield();
  sg4::this_actor::execute(1e3);
  sg4::this_actor::execute(1e3, 1.0);
  sg4::this_actor::thread_execute(sg4::this_actor::get_host(), 1e3, 2);
}

// Activities waited for in every way: Activity::wait_for (through wait()), wait_until, and the
// wait_any variants of Activity and Exec.
void activity_calls() {
  sg4::ExecPtr first = sg4::this_actor::exec_async(1e3);
  first->wait();  // AnyActivity::wait -> Activity::wait_for(-1)
  sg4::ExecPtr second = sg4::this_actor::exec_async(1e3);
  second->wait_until(sg4::Engine::get_clock() + 1e9);
  std::vector<sg4::ActivityPtr> activities{sg4::this_actor::exec_async(1e3)};
  require(sg4::Activity::wait_any_for(activities, 1e9) == 0, "Activity::wait_any_for returned the wrong index");
  std::vector<sg4::ExecPtr> execs{sg4::this_actor::exec_async(1e3)};
  require(sg4::Exec::wait_any_for(execs, 1e9) == 0, "Exec::wait_any_for returned the wrong index");
}

// Mailboxes: the sender puts (with and without timeout) and waits on comms; the receiver gets.
int g_payload = 42;

void sender() {
  sg4::Mailbox* box = sg4::Mailbox::by_name("box");
  box->put(&g_payload, 8);
  box->put(&g_payload, 8, 1e9);
  std::vector<sg4::CommPtr> comms{box->put_async(&g_payload, 8)};
  sg4::Comm::wait_all(comms);
  comms = {box->put_async(&g_payload, 8)};
  require(sg4::Comm::wait_all_for(comms, 1e9) == 1, "Comm::wait_all_for returned the wrong count");
  comms = {box->put_async(&g_payload, 8)};
  require(sg4::Comm::wait_any_for(comms, 1e9) == 0, "Comm::wait_any_for returned the wrong index");
}

void receiver() {
  sg4::Mailbox* box = sg4::Mailbox::by_name("box");
  for (int i = 0; i < 5; ++i) {
    const int* received = box->get<int>();  // get_async + Comm::wait_for
    require(received == &g_payload, "Mailbox::get returned the wrong payload");
  }
}

// Synchronisation: a mutex and a condition variable in all three waits, a barrier, a semaphore.
struct Shared {
  sg4::MutexPtr mutex = sg4::Mutex::create();
  sg4::ConditionVariablePtr condition = sg4::ConditionVariable::create();
  sg4::BarrierPtr barrier = sg4::Barrier::create(2);
  sg4::SemaphorePtr semaphore = sg4::Semaphore::create(0);
  int turn = 0;
};

void waiter(Shared* shared) {
  std::unique_lock<sg4::Mutex> lock(*shared->mutex);  // Mutex::lock
  while (shared->turn == 0) shared->condition->wait(lock);
  while (shared->turn == 1) shared->condition->wait_for(lock, 1e9);
  while (shared->turn == 2) shared->condition->wait_until(lock, sg4::Engine::get_clock() + 1e9);
  lock.unlock();
  shared->barrier->wait();
  shared->semaphore->acquire();
  require(shared->semaphore->acquire_timeout(1e9) == false, "Semaphore::acquire_timeout timed out");
}

void notifier(Shared* shared) {
  for (int turn = 1; turn <= 3; ++turn) {
    sg4::this_actor::sleep_for(5);
    shared->mutex->lock();
    shared->turn = turn;
    shared->condition->notify_all();
    shared->mutex->unlock();
  }
  shared->barrier->wait();
  sg4::this_actor::sleep_for(5);
  shared->semaphore->release();
  sg4::this_actor::sleep_for(5);
  shared->semaphore->release();
}

}  // namespace

int main(int argc, char** argv) {
  sg4::Engine engine(&argc, argv);
  sg4::NetZone* zone = sg4::create_full_zone("check");
  sg4::Host* host = zone->create_host("host", 1e9);
  host->set_core_count(2);
  host->seal();
  zone->seal();

  Shared shared;
  sg4::Actor::create("timing", host, timing_calls);
  sg4::Actor::create("activities", host, activity_calls);
  sg4::Actor::create("sender", host, sender);
  sg4::Actor::create("receiver", host, receiver);
  sg4::Actor::create("waiter", host, [&shared] { waiter(&shared); });
  sg4::Actor::create("notifier", host, [&shared] { notifier(&shared); });
  sg4::Actor::create("joiner", host, [host] {
    sg4::ActorPtr sleeper = sg4::Actor::create("sleeper", host, [] { sg4::this_actor::sleep_for(50); });
    sleeper->join(1e9);
    sg4::ActorPtr suspended = sg4::Actor::create("suspended", host, [] { sg4::this_actor::suspend(); });
    sg4::this_actor::sleep_for(5);
    suspended->resume();
    suspended->join();
  });
  engine.run();

  // What the counter must report: the program's calls only, in the counter's order and format.
  // The mutex is locked by the waiter's unique_lock and three times by the notifier; the sleeps
  // are the timing actor's 1, the notifier's 5, the sleeper's 1 and the joiner's 1.
  struct Expected {
    int count;
    const char* name;
  };
  const std::vector<Expected> expected{
      {8, "this_actor::sleep_for"},
      {1, "this_actor::sleep_until"},
      {1, "this_actor::yield"},
      {1, "this_actor::suspend"},
      {1, "this_actor::execute(flops)"},
      {1, "this_actor::execute(flops, priority)"},
      {1, "this_actor::thread_execute"},
      {1, "Semaphore::acquire"},
      {1, "Semaphore::acquire_timeout"},
      {1, "Activity::wait_for (also wait())"},
      {1, "Activity::wait_until"},
      {1, "Activity::wait_any_for"},
      {5, "Comm::wait_for (also wait(), Mailbox::get)"},
      {1, "Comm::wait_all"},
      {1, "Comm::wait_all_for"},
      {1, "Comm::wait_any_for"},
      {1, "Exec::wait_any_for"},
      {1, "Mailbox::put"},
      {1, "Mailbox::put(timeout)"},
      {1, "ConditionVariable::wait"},
      {1, "ConditionVariable::wait_for"},
      {1, "ConditionVariable::wait_until"},
      {4, "Mutex::lock"},
      {2, "Barrier::wait"},
      {1, "Actor::join"},
      {1, "Actor::join(timeout)"},
  };
  int total = 0;
  for (const Expected& line : expected) {
    std::printf("%d %s\n", line.count, line.name);
    total += line.count;
  }
  std::printf("%d total\n", total);
  return 0;
}
