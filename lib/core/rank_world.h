// The ranks of one data-parallel run: which process this is, how many there
// are, and the few collectives training needs (doc/design.md, "Training
// across ranks").
//
// A launcher (mpirun, srun) says rank and size in the environment; a
// process that finds none is the only rank and loads no MPI. With several,
// Open MPI's libmpi.so.40 is loaded at run time (dlopen), not linked: the
// binaries run on machines without MPI, and only a multi-rank run needs it.
// MPI's default error handler (MPI_ERRORS_ARE_FATAL) stays, so a failed
// collective ends every rank rather than leaving one waiting.
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace grid {

// What the launcher's environment says: OMPI_COMM_WORLD_RANK/SIZE (Open
// MPI's mpirun), else PMI_RANK/PMI_SIZE (PMI launchers), else SLURM_PROCID
// with SLURM_STEP_NUM_TASKS (srun). Not SLURM_NTASKS: a batch script of
// `sbatch -n 4` has it, and SLURM_PROCID=0, but is one process, which srun
// would start 4 of. `from` names the size's
// variable ("" when none is set: rank 0 of 1). Throws Error(Exit::usage)
// for a value that is not a number or a rank outside 0..size-1.
// `local_rank` is the rank among this machine's (OMPI_COMM_WORLD_LOCAL_RANK,
// MPI_LOCALRANKID or SLURM_LOCALID; else the rank): which GPU a rank takes.
struct RankEnv {
  int rank = 0;
  int size = 1;
  std::string from;
  int local_rank = 0;
};
RankEnv rank_env();

class RankWorld {
 public:
  virtual ~RankWorld() = default;
  int rank() const { return rank_; }
  int size() const { return size_; }
  // The variable the size came from, for messages ("" for one rank).
  const std::string& from() const { return from_; }

  // Rank 0's *bytes on every rank.
  virtual void broadcast(std::string* bytes) = 0;
  // `len` floats from offset `at` (in floats) of a buffer.
  struct Run {
    size_t at;
    int len;
  };
  using Runs = std::vector<Run>;
  // One message to each rank q: the runs to[q] of `send`, back to back; the
  // one from rank q fills the runs from[q] of `recv` in order (rank q's
  // to[me] and this rank's from[q] hold as many floats). MPI_Alltoallw with
  // an hindexed datatype a peer: scattered runs go without being packed
  // here first, and offsets are not bound to MPI's int counts.
  virtual void alltoall_runs(const float* send, const std::vector<Runs>& to, float* recv,
                             const std::vector<Runs>& from) = 0;
  // MPI_Allgatherv in place: rank q's counts[q] floats at data + displs[q]
  // reach every rank, at the same place.
  virtual void allgatherv_in_place(float* data, const std::vector<int>& counts, const std::vector<int>& displs) = 0;
  // MPI_Allreduce with MPI_SUM in place: the order of the additions is
  // MPI's, so only fast mode uses it.
  virtual void allreduce_sum(float* data, int count) = 0;
  // Collective: whether any rank passed `failed`. A rank that failed goes
  // on to end the run (abort); the others then wait_for_abort(), so that
  // none starts writing what the abort would cut short.
  bool any_failed(bool failed);
  // Waits to be ended by another rank's abort.
  [[noreturn]] void wait_for_abort();
  // Ends every rank of the run with exit status `code` (MPI_Abort).
  [[noreturn]] void abort(int code);

 protected:
  virtual void abort_all(int code) = 0;
  int rank_ = 0, size_ = 1;
  std::string from_;
};

// The world this process belongs to, opened once (MPI_Init) and kept until
// exit: a single rank when rank_env() says so, else the MPI world, whose
// size must be the environment's. Throws Error(Exit::unavailable) when
// libmpi cannot be loaded or its world is not the launcher's (srun without
// --mpi=pmix starts each rank as a world of one).
RankWorld& rank_world();

}  // namespace grid
