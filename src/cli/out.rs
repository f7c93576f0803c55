//! Standard output for every module of the CLI. A closed pipe (`handshake ... | head`)
//! ends the program quietly with status 0, as the reader asked for no more; any other write
//! error exits 2 with the reason. The `println!` and `print!` below shadow std's (which
//! panic on a closed pipe) in every module declared after this one in cli/mod.rs.

pub fn write_stdout(args: std::fmt::Arguments<'_>, newline: bool) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(args).and_then(|()| if newline { out.write_all(b"\n") } else { Ok(()) });
    match written {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        Err(e) => {
            eprintln!("error [io]: cannot write to standard output: {e}");
            std::process::exit(2);
        }
    }
}

macro_rules! println {
    () => { $crate::cli::out::write_stdout(format_args!(""), true) };
    ($($arg:tt)*) => { $crate::cli::out::write_stdout(format_args!($($arg)*), true) };
}

macro_rules! print {
    ($($arg:tt)*) => { $crate::cli::out::write_stdout(format_args!($($arg)*), false) };
}
