/// Where a value sits in the document, spelled as the user writes it:
/// `outputs.metrics.port`, `captures[1].filter`.
struct ConfigPath: CustomStringConvertible, Sendable {
    private(set) var description: String

    static let root = ConfigPath(description: "")

    func key(_ name: String) -> ConfigPath {
        ConfigPath(description: description.isEmpty ? name : description + "." + name)
    }

    func index(_ position: Int) -> ConfigPath {
        ConfigPath(description: description + "[\(position)]")
    }
}
