/// The Prometheus text exposition format (0.0.4) as `/metrics` writes it,
/// read back into samples: what remote-write pushes is exactly what a
/// scrape would have seen at the same moment.
public enum PrometheusText {
    public struct Sample: Equatable, Sendable {
        /// `__name__` first, then the labels as written.
        public var labels: [(name: String, value: String)]
        public var value: Double

        public static func == (lhs: Sample, rhs: Sample) -> Bool {
            lhs.value.bitPattern == rhs.value.bitPattern && lhs.labels.elementsEqual(rhs.labels) { $0 == $1 }
        }
    }

    /// Lines that do not parse are skipped (and counted in `skipped`).
    public static func parse(_ text: [UInt8]) -> (samples: [Sample], skipped: Int) {
        var samples: [Sample] = [], skipped = 0
        for line in text.split(separator: 0x0A) where !line.isEmpty && line.first != UInt8(ascii: "#") {
            if let sample = parseLine(Array(line)) { samples.append(sample) } else { skipped += 1 }
        }
        return (samples, skipped)
    }

    static func parseLine(_ line: [UInt8]) -> Sample? {
        var index = 0
        while index < line.count, line[index] != UInt8(ascii: "{"), line[index] != UInt8(ascii: " ") { index += 1 }
        guard index > 0 else { return nil }
        var labels = [("__name__", String(decoding: line[0..<index], as: UTF8.self))]
        if index < line.count, line[index] == UInt8(ascii: "{") {
            index += 1
            while index < line.count, line[index] != UInt8(ascii: "}") {
                let nameStart = index
                while index < line.count, line[index] != UInt8(ascii: "=") { index += 1 }
                guard index + 1 < line.count, line[index + 1] == UInt8(ascii: "\"") else { return nil }
                let name = String(decoding: line[nameStart..<index], as: UTF8.self)
                index += 2
                var value: [UInt8] = []
                while index < line.count, line[index] != UInt8(ascii: "\"") {
                    if line[index] == UInt8(ascii: "\\"), index + 1 < line.count {
                        index += 1
                        value.append(line[index] == UInt8(ascii: "n") ? 0x0A : line[index])
                    } else {
                        value.append(line[index])
                    }
                    index += 1
                }
                guard index < line.count else { return nil }
                index += 1
                labels.append((name, String(decoding: value, as: UTF8.self)))
                if index < line.count, line[index] == UInt8(ascii: ",") { index += 1 }
            }
            guard index < line.count else { return nil }
            index += 1
        }
        while index < line.count, line[index] == UInt8(ascii: " ") { index += 1 }
        var end = index
        while end < line.count, line[end] != UInt8(ascii: " ") { end += 1 }
        let text = String(decoding: line[index..<end], as: UTF8.self)
        let value: Double?
        switch text {
        case "+Inf", "Inf": value = .infinity
        case "-Inf": value = -.infinity
        case "NaN": value = .nan
        default: value = Double(text)
        }
        guard let value else { return nil }
        return Sample(labels: labels, value: value)
    }
}
