//! `ucwa-mock serve PAGE... --listen ADDR` and `ucwa-mock conform PAGE...`: see the crate documentation.

fn main() -> std::process::ExitCode {
    ucwa_mock::cli::main()
}
