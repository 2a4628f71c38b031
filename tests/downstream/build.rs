fn main() {
    // The whole UCWA 2.0 API from the repository's committed schema, plus a
    // page of our own: a page describing a resource the schema also has wins.
    let generated = ucwa_codegen::Builder::new()
        .schema("../../schema")
        .pages("pages")
        .generate();
    if let Err(error) = generated {
        // One readable line: cargo shows it as the build failure.
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}
