//! What the machine did during a phase (Linux `/proc`; empty figures elsewhere): CPU by
//! thread group in this process, CPU of the whole machine (the machine is shared: other
//! processes' load shows here), and bytes this process sent to storage.

use std::collections::BTreeMap;

/// A snapshot of the counters; subtract two with [`Sample::since`].
#[derive(Debug, Clone, Default)]
pub struct Sample {
    threads: BTreeMap<String, f64>,
    switches: BTreeMap<String, f64>,
    /// Seconds of CPU the machine spent busy (all cores), and the total seconds elapsed times
    /// the number of cores, from `/proc/stat`.
    machine_busy: f64,
    machine_total: f64,
    write_bytes: f64,
}

/// What happened between two samples.
#[derive(Debug, Clone, Default)]
pub struct Usage {
    /// CPU seconds per thread group of this process.
    pub threads: Vec<(String, f64)>,
    /// Context switches (voluntary and not) per thread group: a thread that sleeps and is
    /// woken for every statement shows here.
    pub switches: Vec<(String, f64)>,
    /// CPU seconds of the whole machine, busy and available.
    pub machine_busy: f64,
    pub machine_total: f64,
    /// Bytes this process caused to be written to storage.
    pub write_bytes: f64,
}

impl Usage {
    pub fn process_cpu(&self) -> f64 {
        self.threads.iter().map(|(_, s)| s).sum()
    }
}

impl Sample {
    pub fn now() -> Sample {
        let (machine_busy, machine_total) = machine_cpu().unwrap_or((0.0, 0.0));
        let (threads, switches) = by_thread();
        Sample {
            threads,
            switches,
            machine_busy,
            machine_total,
            write_bytes: write_bytes().unwrap_or(0.0),
        }
    }

    pub fn since(&self, earlier: &Sample) -> Usage {
        let delta = |now: &BTreeMap<String, f64>, then: &BTreeMap<String, f64>| {
            now.iter()
                .map(|(k, v)| (k.clone(), v - then.get(k).copied().unwrap_or(0.0)))
                .collect()
        };
        Usage {
            threads: delta(&self.threads, &earlier.threads),
            switches: delta(&self.switches, &earlier.switches),
            machine_busy: self.machine_busy - earlier.machine_busy,
            machine_total: self.machine_total - earlier.machine_total,
            write_bytes: self.write_bytes - earlier.write_bytes,
        }
    }
}

/// The 1-minute load average (other sessions share this machine).
pub fn load_average() -> Option<String> {
    let text = std::fs::read_to_string("/proc/loadavg").ok()?;
    let parts: Vec<&str> = text.split_whitespace().take(3).collect();
    Some(parts.join(" "))
}

/// Clock ticks are 1/100 s on Linux.
const TICK: f64 = 0.01;

/// CPU seconds and context switches per thread group: tokio workers (HTTP, parsing, the load
/// generator, the writer task's side of sqlx), sqlx's SQLite worker threads (every SQLite
/// statement runs there), the main thread.
fn by_thread() -> (BTreeMap<String, f64>, BTreeMap<String, f64>) {
    let mut cpu = BTreeMap::new();
    let mut switches = BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return (cpu, switches);
    };
    for task in tasks.flatten() {
        let path = task.path();
        let (Ok(comm), Ok(stat)) = (
            std::fs::read_to_string(path.join("comm")),
            std::fs::read_to_string(path.join("stat")),
        ) else {
            continue;
        };
        // Fields after the parenthesised name: state is field 3, utime 14, stime 15.
        let Some(after) = stat.rfind(')').map(|i| &stat[i + 1..]) else {
            continue;
        };
        let fields: Vec<&str> = after.split_whitespace().collect();
        let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
        let (Some(user), Some(system)) = (ticks(11), ticks(12)) else {
            continue;
        };
        // `comm` is cut to 15 bytes: "tokio-rt-worker", "sqlx-sqlite-wor".
        let name = comm.trim();
        let group = if name.starts_with("tokio-r") {
            "tokio workers"
        } else if name.starts_with("sqlx-sqlite") {
            "sqlite threads"
        } else {
            "main thread"
        };
        *cpu.entry(group.to_string()).or_default() += (user + system) * TICK;
        let status = std::fs::read_to_string(path.join("status")).unwrap_or_default();
        let count: f64 = status
            .lines()
            .filter(|l| l.contains("ctxt_switches:"))
            .filter_map(|l| l.split(':').nth(1)?.trim().parse::<f64>().ok())
            .sum();
        *switches.entry(group.to_string()).or_default() += count;
    }
    (cpu, switches)
}

fn machine_cpu() -> Option<(f64, f64)> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let line = text.lines().next()?;
    let values: Vec<f64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    let total: f64 = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4)?;
    Some(((total - idle) * TICK, total * TICK))
}

fn write_bytes() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/io").ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("write_bytes:"))
        .and_then(|v| v.trim().parse().ok())
}

/// This process's resident memory now, in KiB (`VmRSS` of `/proc/self/status`).
pub fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// CPU seconds this whole process has used (`/proc/self/stat`: utime + stime, exited
/// threads included, unlike [`Sample`]'s per-thread sums).
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
    Some((ticks(11)? + ticks(12)?) * TICK)
}
