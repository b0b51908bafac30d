//! The crate's calls into C: the dynamic loader, file descriptors, signals and OpenMP.
//!
//! One of the crate's three files with `unsafe` code (the others are `optim/adam_cpu.rs` and
//! `matmul/simd.rs`).
//! Contract: every function here is safe to call from any thread at any time; each states
//! what it relies on in its `SAFETY` comments (documented C signatures, pointers that outlive
//! the call). No Rust panic can unwind into C: the OpenMP callback catches it and it is
//! raised again on the calling thread once the team has finished.

use std::any::Any;
use std::ffi::{c_uint, c_void};
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::sync::{Mutex, OnceLock};

/// Loads `libtorch_cuda.so` with `RTLD_GLOBAL`, which registers libtorch's CUDA backend (see
/// [`crate::kernel::enter`]). A failure (no GPU libraries) is ignored: the CPU is used.
pub(crate) fn load_cuda_backend() {
    // SAFETY: dlopen with a valid NUL-terminated name; the handle is kept for the life of the
    // process on purpose.
    unsafe {
        libc::dlopen(
            c"libtorch_cuda.so".as_ptr(),
            libc::RTLD_NOW | libc::RTLD_GLOBAL,
        )
    };
}

/// Makes the process's stderr a copy of its stdout.
pub(crate) fn stderr_to_stdout() {
    // SAFETY: duplicates the process's own standard descriptors; no memory is involved.
    unsafe { libc::dup2(libc::STDOUT_FILENO, libc::STDERR_FILENO) };
}

/// Makes `handler` the process's SIGINT handler, restarting interrupted system calls.
///
/// `handler` must be async-signal-safe (it may run on any thread, at any instruction; the
/// crate's only handler does one lock-free atomic addition). It stays loaded for as long as the
/// process lives: evcxr never unloads a cell's library, and a program's own code is never
/// unloaded. A failure leaves SIGINT as it was, which is safe.
pub(crate) fn install_sigint(handler: extern "C" fn(libc::c_int)) {
    // SAFETY: `action` is fully initialised (zeroed, then an empty mask, the handler and the
    // flags) before `sigaction` reads it; the old action is not asked for; the handler is
    // async-signal-safe and never unloaded (above).
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_sigaction = handler as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}

type ParallelFn = unsafe extern "C" fn(extern "C" fn(*mut c_void), *mut c_void, c_uint, c_uint);
type QueryFn = unsafe extern "C" fn() -> i32;

/// GNU OpenMP's entry points (libtorch loads GNU OpenMP, or LLVM's, which has the same ones).
///
/// libtorch splits its CPU work over an OpenMP team. Between operations the team's threads
/// keep spinning for a while, waiting for the next one; threads of our own, started next to
/// them, would compete with them for the same cores (measured: the single-pass Adam took
/// 2.5–4 ms per step inside training instead of 0.8 ms alone). Handing the work to the same
/// team instead, through `GOMP_parallel` (what `#pragma omp parallel` compiles to), uses the
/// threads that are already awake.
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
/// all calls have returned. If a call panics, the other parts still run, and the first panic
/// is raised again here, on the calling thread, once every thread has finished (a panic must not cross OpenMP's C frames: that
/// would abort the process, and a notebook kernel with it).
pub(crate) fn for_each_part(parts: usize, work: &(dyn Fn(usize) + Sync)) {
    let Some(omp) = openmp().filter(|_| parts > 1) else {
        (0..parts).for_each(work);
        return;
    };
    struct Job<'a> {
        work: &'a (dyn Fn(usize) + Sync),
        omp: OpenMp,
        parts: usize,
        panic: Mutex<Option<Box<dyn Any + Send>>>,
    }
    extern "C" fn run(data: *mut c_void) {
        // SAFETY: `data` is the `Job` below, alive until `GOMP_parallel` returns.
        let job = unsafe { &*(data as *const Job) };
        // SAFETY: called on a thread of the team that `GOMP_parallel` started. OpenMP may
        // grant fewer threads than asked for: thread t then takes parts t, t + team, ...
        let (t, team) = unsafe { ((job.omp.thread_num)(), (job.omp.num_threads)()) };
        for i in (t.max(0) as usize..job.parts).step_by(team.max(1) as usize) {
            if let Err(payload) = catch_unwind(AssertUnwindSafe(|| (job.work)(i))) {
                let mut first = job.panic.lock().unwrap_or_else(|e| e.into_inner());
                first.get_or_insert(payload);
            }
        }
    }
    let job = Job {
        work,
        omp,
        parts,
        panic: Mutex::new(None),
    };
    // SAFETY: `run` only reads `job`, which outlives the call, and never unwinds; the call
    // returns when every thread of the team has returned from `run`.
    unsafe { (omp.parallel)(run, &job as *const Job as *mut c_void, parts as c_uint, 0) };
    if let Some(payload) = job.panic.into_inner().unwrap_or_else(|e| e.into_inner()) {
        resume_unwind(payload);
    }
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

    #[test]
    fn a_panic_in_a_part_reaches_the_caller_instead_of_aborting() {
        tch::set_num_threads(2);
        let done = AtomicUsize::new(0);
        let caught = catch_unwind(AssertUnwindSafe(|| {
            for_each_part(4, &|i| {
                if i == 1 {
                    panic!("part {i} failed");
                }
                done.fetch_add(1, Ordering::Relaxed);
            })
        }));
        let payload = caught.expect_err("the panic is raised again");
        assert_eq!(
            payload.downcast_ref::<String>().map(String::as_str),
            Some("part 1 failed")
        );
        assert_eq!(done.load(Ordering::Relaxed), 3);
        // The team still works afterwards.
        let runs = AtomicUsize::new(0);
        for_each_part(2, &|_| {
            runs.fetch_add(1, Ordering::Relaxed);
        });
        assert_eq!(runs.load(Ordering::Relaxed), 2);
    }
}
