//! `ucwa-mock serve PAGE... --listen ADDR`: see the crate documentation.

fn main() -> std::process::ExitCode {
    ucwa_mock::cli::main()
}
