import ArgumentParser
import ScopeConfig
import ScopeCore
import ScopeExport
import ScopePcap

/// `dpdkscope config --reference`: the commented reference configuration.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Print the fully commented reference configuration for `dpdkscope agent`.")

    @Flag(help: "Print the reference configuration (every key, its default and what it does).") var reference = false

    func validate() throws {
        if !reference { throw ValidationError("say what to print: --reference") }
    }

    func run() throws {
        print(AgentConfiguration.referenceYAML, terminator: AgentConfiguration.referenceYAML.hasSuffix("\n") ? "" : "\n")
    }

    /// Every error of the file on its own stderr line, then one summary.
    static func load(_ path: String) throws -> AgentConfiguration {
        do {
            return try AgentConfiguration.load(path: path, checkFilter: checkFilter, checkKafka: checkKafka)
        } catch {
            for item in error.errors { writeStderr("\(item)\n") }
            let count = error.errors.count
            throw ScopeError(.usageOrAttach, "\(path): \(count) configuration error\(count == 1 ? "" : "s")")
        }
    }

    /// librdkafka's verdict on the producer settings (properties included),
    /// with the properties' values blanked: they may be passwords.
    static func checkKafka(_ kafka: AgentConfiguration.Outputs.Kafka) -> String? {
        guard var problem = KafkaTransport.validate(AgentExport.kafkaSettings(kafka).producer) else { return nil }
        for value in kafka.properties.values where value.count > 0 {
            problem = problem.replacingOccurrences(of: value, with: "…")
        }
        return problem
    }

    /// libpcap's verdict on a capture filter, compiled for Ethernet as the
    /// primary will run it; nil when it compiles.
    static func checkFilter(_ expression: String) -> String? {
        do {
            _ = try ClassicFilter(expression: expression, linkType: 1, snaplen: UInt32(Snaplen.maximum))
            return nil
        } catch let error as ScopeError {
            // Only libpcap's words: the caller names the expression itself.
            guard let range = error.message.range(of: "': ") else { return error.message }
            return String(error.message[range.upperBound...])
        } catch {
            return "\(error)"
        }
    }
}
