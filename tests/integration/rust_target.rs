// SPDX-License-Identifier: MIT
//! Rust panics through profiled frames, for the integration tests.
//! usage: rust_target caught|inside|escape|tails
//!   caught: 3 of 6 calls of `panicky` panic, caught by catch_unwind in main
//!   inside: `guarded` panics and catches it itself, 3 times
//!   escape: a panic leaves `panicky` and main: the process exits 101
//!   tails:  tasks whose last call is a tail call (into libc, through a
//!           trait object), each 3 times, the caller's clocks into $TP_GT
use std::io::Write;
use std::panic;
use std::time::Instant;

extern "C" {
    fn usleep(us: u32) -> i32;
    fn clock_gettime(clk: i32, ts: *mut [i64; 2]) -> i32;
}

fn thread_cpu() -> f64 {
    let mut ts = [0i64; 2];
    unsafe { clock_gettime(3, &mut ts) }; // CLOCK_THREAD_CPUTIME_ID
    ts[0] as f64 + ts[1] as f64 / 1e9
}

fn wall() -> f64 {
    let d = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    d.as_secs_f64()
}

#[inline(never)]
fn burn(ms: u64) -> u64 {
    let end = thread_cpu() + ms as f64 / 1e3;
    let mut x = 0u64;
    while thread_cpu() < end {
        x = std::hint::black_box(x + 1);
    }
    x
}

trait Stage {
    fn run(&self, ms: u64) -> u64;
}

struct Burn;

impl Stage for Burn {
    #[inline(never)]
    fn run(&self, ms: u64) -> u64 {
        burn(ms)
    }
}

/// its last statement is a call into libc: jmp usleep@plt
#[no_mangle]
#[inline(never)]
pub fn rs_sleep_tail(us: u32) -> i32 {
    unsafe { usleep(us) }
}

/// its last statement is a call through a trait object: jmp *
#[no_mangle]
#[inline(never)]
pub fn rs_dyn_tail(s: &dyn Stage, ms: u64) -> u64 {
    s.run(ms)
}

/// Seconds this thread has waited on a run queue (sched_info).
fn run_delay() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1).and_then(|w| w.parse::<u64>().ok()))
        .map_or(0.0, |ns| ns as f64 / 1e9)
}

fn tails() {
    let path = std::env::var("TP_GT").ok();
    let mut gt = path.and_then(|p| std::fs::File::create(p).ok());
    let stage: Box<dyn Stage> = Box::new(Burn);
    // the clocks are read before anything is written: a write in the span
    // would put the file system's time in the truth
    let mut put = |task: &str, i: usize, w0: f64, t0: Instant, c0: f64, d0: f64| {
        let (rt, cpu) = (t0.elapsed().as_secs_f64(), thread_cpu() - c0);
        let delay = run_delay() - d0;
        if let Some(f) = gt.as_mut() {
            let _ = writeln!(f, "{}.{}.t0 {:.9}", task, i, w0);
            let _ = writeln!(f, "{}.{}.rt {:.9}", task, i, rt);
            let _ = writeln!(f, "{}.{}.cpu {:.9}", task, i, cpu);
            let _ = writeln!(f, "{}.{}.delay {:.9}", task, i, delay);
            let _ = writeln!(f, "{}.{}.unwound 0", task, i);
        }
    };
    for i in 0..3 {
        let (d0, w0, t0, c0) = (run_delay(), wall(), Instant::now(), thread_cpu());
        std::hint::black_box(rs_sleep_tail(30000));
        put("rs_sleep_tail", i, w0, t0, c0, d0);
        unsafe { usleep(15000) };
        let (d0, w0, t0, c0) = (run_delay(), wall(), Instant::now(), thread_cpu());
        std::hint::black_box(rs_dyn_tail(stage.as_ref(), 20));
        put("rs_dyn_tail", i, w0, t0, c0, d0);
        burn(5);
    }
}

#[no_mangle]
#[inline(never)]
pub extern "Rust" fn panicky(fail: bool) -> u64 {
    let v = vec![1u64, 2, 3];
    if fail {
        panic!("panicky failed");
    }
    v.iter().sum()
}

#[no_mangle]
#[inline(never)]
pub extern "Rust" fn guarded(n: u64) -> u64 {
    match panic::catch_unwind(|| panicky(true)) {
        Ok(v) => v,
        Err(_) => n,
    }
}

fn main() {
    panic::set_hook(Box::new(|_| {})); // keep stderr identical and quiet
    let mode = std::env::args().nth(1).unwrap_or_default();
    match mode.as_str() {
        "caught" => {
            let mut caught = 0;
            for i in 0..6 {
                if panic::catch_unwind(|| panicky(i % 2 == 1)).is_err() {
                    caught += 1;
                }
            }
            println!("caught {}", caught);
        }
        "inside" => {
            let sum: u64 = (0..3).map(guarded).sum();
            println!("guarded {}", sum);
        }
        "escape" => {
            println!("escaping");
            panicky(true);
        }
        "tails" => tails(),
        _ => std::process::exit(2),
    }
}
