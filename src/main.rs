//! `handshake`: the command-line shell over the core API (see cli/).

mod cli;

fn main() -> std::process::ExitCode {
    cli::main()
}
