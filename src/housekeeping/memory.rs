//! Keeps an idle instance small: memory that start-up and traffic bursts used and no longer need
//! goes back to the kernel. See `docs/benchmarks.md` (idle memory) for what each part is worth.
use std::time::Duration;

/// Hands the allocator's free pages back to the system. glibc keeps memory freed by startup
/// work (migrations, key loading, catalogues) and by traffic bursts resident in its per-thread
/// arenas until asked. Takes a few milliseconds.
#[allow(unsafe_code)]
pub fn release_free_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only walks and trims the allocator's own arenas, under their locks.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Unmaps the pages of Gatehouse's own executable that start-up ran or read: registering a few
/// hundred routes, migrations and loading keys touch code from all over the binary, and the
/// kernel maps whole page-cache folios around each touch. Nothing is lost: only mappings that
/// are read-only and hold no privately modified page are dropped (never the relocated RELRO
/// data), and the next access maps a page again from the page cache (a minor fault, no disk
/// read). Until then the kernel may reclaim those pages under memory pressure, which it avoids
/// for mapped executable pages. Called after start-up and when a burst of work has ended
/// ([`BurstWatch`]): a sign-in flood maps the sign-in, hashing and audit code the same way.
#[allow(unsafe_code)]
pub fn release_code_pages() {
    #[cfg(target_os = "linux")]
    {
        let (Ok(exe), Ok(smaps)) = (
            std::fs::read_link("/proc/self/exe"),
            std::fs::read_to_string("/proc/self/smaps"),
        ) else {
            return;
        };
        for (start, end) in unmodified_read_only_ranges(&smaps, &exe.to_string_lossy()) {
            // SAFETY: [start, end) is a whole mapping of our own executable that is not writable
            // and has no anonymous (privately modified) page, so every page equals the file's
            // bytes and MADV_DONTNEED only drops page-table entries that the next access
            // restores from the page cache. No reference into the range is invalidated.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_DONTNEED);
            }
        }
    }
}

/// Tells when a burst of work has ended, so that what it left mapped and free goes back (see
/// [`release_free_memory`] and [`release_code_pages`]) once, seconds after the last request
/// rather than never. Fed the process's CPU time every [`BurstWatch::PERIOD`].
pub struct BurstWatch {
    /// CPU time at the last two samples (oldest first).
    samples: [Duration; 2],
    /// CPU time at the last release.
    released_at: Duration,
}

impl BurstWatch {
    pub const PERIOD: Duration = Duration::from_secs(1);
    /// Work since the last release that makes releasing worth its few milliseconds.
    const BUSY: Duration = Duration::from_millis(500);
    /// CPU time over the last two periods below which the process counts as quiet. An idle
    /// instance uses about 1.5 ms a second (mail poll, key upkeep).
    const QUIET: Duration = Duration::from_millis(40);

    pub fn new(cpu_now: Duration) -> Self {
        Self {
            samples: [cpu_now; 2],
            released_at: cpu_now,
        }
    }

    /// Takes a sample; `true` once per burst, when the process has used at least
    /// [`Self::BUSY`] of CPU since the last release and has been quiet for two periods.
    pub fn burst_ended(&mut self, cpu_now: Duration) -> bool {
        let [oldest, _] = self.samples;
        self.samples = [self.samples[1], cpu_now];
        let quiet = cpu_now.saturating_sub(oldest) < Self::QUIET;
        if quiet && cpu_now.saturating_sub(self.released_at) >= Self::BUSY + Self::QUIET {
            self.released_at = cpu_now;
            return true;
        }
        false
    }
}

/// User plus system CPU time of the whole process so far.
#[allow(unsafe_code)]
pub fn process_cpu_time() -> Option<Duration> {
    let mut usage = std::mem::MaybeUninit::<libc::rusage>::uninit();
    // SAFETY: getrusage only writes the struct it is given, and we read it only on success.
    let usage = unsafe {
        if libc::getrusage(libc::RUSAGE_SELF, usage.as_mut_ptr()) != 0 {
            return None;
        }
        usage.assume_init()
    };
    let time = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec.try_into().unwrap_or(0))
            + Duration::from_micros(t.tv_usec.try_into().unwrap_or(0))
    };
    Some(time(usage.ru_utime) + time(usage.ru_stime))
}

/// The address ranges in `/proc/self/smaps` text that map `exe`, are not writable and hold no
/// anonymous page.
fn unmodified_read_only_ranges(smaps: &str, exe: &str) -> Vec<(usize, usize)> {
    struct Mapping {
        range: (usize, usize),
        candidate: bool,
        anonymous_kib: Option<u64>,
    }
    let mut mappings: Vec<Mapping> = Vec::new();
    for line in smaps.lines() {
        if let Some(kib) = line.strip_prefix("Anonymous:") {
            if let Some(last) = mappings.last_mut() {
                last.anonymous_kib = kib.trim().trim_end_matches("kB").trim().parse().ok();
            }
            continue;
        }
        // A mapping's header: `start-end perms offset dev inode [path]`.
        let mut fields = line.split_whitespace();
        let (Some(range), Some(perms)) = (fields.next(), fields.next()) else {
            continue;
        };
        let Some((start, end)) = range.split_once('-').and_then(|(s, e)| {
            Some((
                usize::from_str_radix(s, 16).ok()?,
                usize::from_str_radix(e, 16).ok()?,
            ))
        }) else {
            continue;
        };
        let path = fields.nth(3).map(|first| {
            // A path may hold spaces (" (deleted)" after the file was replaced).
            let at = line.find(first).unwrap_or(line.len());
            line[at..].trim_end()
        });
        mappings.push(Mapping {
            range: (start, end),
            candidate: perms.len() == 4 && !perms.contains('w') && path == Some(exe),
            anonymous_kib: None,
        });
    }
    mappings
        .into_iter()
        .filter(|m| m.candidate && m.anonymous_kib == Some(0))
        .map(|m| m.range)
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{BurstWatch, unmodified_read_only_ranges};

    #[test]
    fn a_burst_is_released_once_after_two_quiet_periods() {
        let ms = Duration::from_millis;
        let mut watch = BurstWatch::new(ms(50));
        // Idle: a few milliseconds a second never counts as a burst.
        let mut cpu = ms(50);
        for _ in 0..100 {
            cpu += ms(2);
            assert!(!watch.burst_ended(cpu));
        }
        // Busy for three seconds, then quiet.
        for _ in 0..3 {
            cpu += ms(900);
            assert!(!watch.burst_ended(cpu), "not while busy");
        }
        cpu += ms(2);
        assert!(
            !watch.burst_ended(cpu),
            "the busy second is still in the window"
        );
        cpu += ms(2);
        assert!(
            watch.burst_ended(cpu),
            "quiet for two periods after the burst"
        );
        for _ in 0..10 {
            cpu += ms(2);
            assert!(!watch.burst_ended(cpu), "once per burst");
        }
        // Steady light work keeps adding up but is never quiet enough to matter.
        for _ in 0..20 {
            cpu += ms(100);
            assert!(!watch.burst_ended(cpu));
        }
    }

    #[test]
    fn the_process_cpu_time_is_readable() {
        assert!(super::process_cpu_time().is_some());
    }

    const SMAPS: &str = "\
55d0a0000000-55d0a0400000 r--p 00000000 fe:01 1234 /srv/gate house/gatehouse
Size:               4096 kB
Rss:                2048 kB
Anonymous:             0 kB
55d0a0400000-55d0a1800000 r-xp 00400000 fe:01 1234 /srv/gate house/gatehouse
Size:              20480 kB
Anonymous:             0 kB
55d0a1800000-55d0a1900000 r--p 01800000 fe:01 1234 /srv/gate house/gatehouse
Anonymous:           512 kB
55d0a1900000-55d0a1a00000 rw-p 01900000 fe:01 1234 /srv/gate house/gatehouse
Anonymous:            64 kB
7f0000000000-7f0000100000 r-xp 00000000 fe:01 99 /usr/lib/x86_64-linux-gnu/libc.so.6
Anonymous:             0 kB
7f0000200000-7f0000300000 rw-p 00000000 00:00 0 
Anonymous:          1024 kB
";

    #[test]
    fn only_the_executables_unmodified_read_only_mappings_are_released() {
        assert_eq!(
            unmodified_read_only_ranges(SMAPS, "/srv/gate house/gatehouse"),
            vec![
                (0x55d0a0000000, 0x55d0a0400000),
                (0x55d0a0400000, 0x55d0a1800000)
            ],
            "not the relocated read-only data, the writable data or another file"
        );
        assert!(unmodified_read_only_ranges(SMAPS, "/usr/bin/other").is_empty());
        assert!(unmodified_read_only_ranges("garbage\n1-2\n", "x").is_empty());
    }
}
