//! Running a loop of the crate's own on libtorch's CPU threads.
//!
//! libtorch splits its CPU work over an OpenMP team (GNU OpenMP in the PyPI builds). Between
//! operations the team's threads keep spinning for a while, waiting for the next one. Threads
//! of our own, started next to them, would compete with those spinning threads for the same
//! cores (measured: the single-pass Adam took 2.5–4 ms per step inside training instead of
//! 0.8 ms alone). Handing the work to the same team instead, through GNU OpenMP's entry point
//! `GOMP_parallel` (what `#pragma omp parallel` compiles to), uses the threads that are already
//! awake and leaves nothing to compete.

use std::ffi::{c_uint, c_void};
use std::sync::OnceLock;

type ParallelFn = unsafe extern "C" fn(extern "C" fn(*mut c_void), *mut c_void, c_uint, c_uint);
type QueryFn = unsafe extern "C" fn() -> i32;

/// GNU OpenMP's entry points (libtorch loads GNU OpenMP, or LLVM's, which has the same ones).
#[derive(Clone, Copy)]
struct OpenMp {
    parallel: ParallelFn,
    thread_num: QueryFn,
    num_threads: QueryFn,
}

fn openmp() -> Option<OpenMp> {
    static OPENMP: OnceLock<Option<OpenMp>> = OnceLock::new();
    *OPENMP.get_or_init(|| {
        let names = [
            c"GOMP_parallel",
            c"omp_get_thread_num",
            c"omp_get_num_threads",
        ];
        // SAFETY: looks up symbols in the libraries already loaded into the process.
        let [p, t, n] = names.map(|name| unsafe { libc::dlsym(libc::RTLD_DEFAULT, name.as_ptr()) });
        if [p, t, n].contains(&std::ptr::null_mut()) {
            return None;
        }
        // SAFETY: the addresses are those of the three functions, whose C signatures are GNU
        // OpenMP's documented ABI.
        unsafe {
            Some(OpenMp {
                parallel: std::mem::transmute::<*mut c_void, ParallelFn>(p),
                thread_num: std::mem::transmute::<*mut c_void, QueryFn>(t),
                num_threads: std::mem::transmute::<*mut c_void, QueryFn>(n),
            })
        }
    })
}

/// Calls `work(i)` once for every `i` in `0..parts`, each on its own thread of libtorch's
/// team when GNU OpenMP is there, one after the other on this thread otherwise. Returns when
/// all calls have returned. `work` must not panic.
pub(crate) fn for_each_part(parts: usize, work: &(dyn Fn(usize) + Sync)) {
    let Some(omp) = openmp().filter(|_| parts > 1) else {
        (0..parts).for_each(work);
        return;
    };
    struct Job<'a> {
        work: &'a (dyn Fn(usize) + Sync),
        omp: OpenMp,
        parts: usize,
    }
    extern "C" fn run(data: *mut c_void) {
        // SAFETY: `data` is the `Job` below, alive until `GOMP_parallel` returns.
        let job = unsafe { &*(data as *const Job) };
        // SAFETY: called on a thread of the team that `GOMP_parallel` started. OpenMP may
        // grant fewer threads than asked for: thread t then takes parts t, t + team, ...
        let (t, team) = unsafe { ((job.omp.thread_num)(), (job.omp.num_threads)()) };
        (t.max(0) as usize..job.parts)
            .step_by(team.max(1) as usize)
            .for_each(job.work);
    }
    let job = Job { work, omp, parts };
    // SAFETY: `run` only reads `job`, which outlives the call; `GOMP_parallel` returns when
    // every thread of the team has returned from `run`.
    unsafe { (omp.parallel)(run, &job as *const Job as *mut c_void, parts as c_uint, 0) };
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn every_part_runs_once_on_libtorchs_threads() {
        tch::set_num_threads(2);
        // The PyPI libtorch for Linux brings GNU OpenMP; without it the crate would fall back
        // to one thread, silently slower.
        #[cfg(target_os = "linux")]
        assert!(openmp().is_some(), "GOMP_parallel not found");
        for parts in [0, 1, 2, 3, 7] {
            let runs: Vec<AtomicUsize> = (0..parts).map(|_| AtomicUsize::new(0)).collect();
            for_each_part(parts, &|i| {
                runs[i].fetch_add(1, Ordering::Relaxed);
            });
            let runs: Vec<usize> = runs.iter().map(|r| r.load(Ordering::Relaxed)).collect();
            assert_eq!(runs, vec![1; parts], "{parts} parts");
        }
    }
}
