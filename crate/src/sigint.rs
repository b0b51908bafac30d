//! The crate's one use of `sigaction`: installing the SIGINT handler of [`crate::interrupt`].

/// Makes `handler` the process's SIGINT handler, restarting interrupted system calls.
///
/// Contract, for the caller: `handler` must be async-signal-safe (it may run on any thread, at
/// any instruction; the crate's only handler does one lock-free atomic addition) and must stay
/// loaded for as long as the process lives (evcxr never unloads a cell's library, and a
/// program's own code is never unloaded). A failure leaves SIGINT as it was, which is safe.
pub(crate) fn install(handler: extern "C" fn(libc::c_int)) {
    // SAFETY: `action` is fully initialised (zeroed, then an empty mask, the handler and the
    // flags) before `sigaction` reads it; the old action is not asked for; the handler meets
    // the contract above.
    unsafe {
        let mut action: libc::sigaction = std::mem::zeroed();
        libc::sigemptyset(&mut action.sa_mask);
        action.sa_sigaction = handler as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigaction(libc::SIGINT, &action, std::ptr::null_mut());
    }
}
