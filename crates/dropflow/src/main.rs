fn main() -> std::process::ExitCode {
    dropflow::cli::main()
}
