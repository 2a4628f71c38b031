fn main() {
    let generated = ucwa_codegen::Builder::new().pages("pages").generate();
    if let Err(error) = generated {
        // One readable line: cargo shows it as the build failure.
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
