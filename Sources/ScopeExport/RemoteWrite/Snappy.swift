import CSnappy

/// Snappy block compression (libsnappy): remote-write bodies.
public enum Snappy {
    public static func compress(_ input: [UInt8]) -> [UInt8]? {
        var length = snappy_max_compressed_length(input.count)
        var output = [UInt8](repeating: 0, count: length)
        let status = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                source.withMemoryRebound(to: CChar.self) { source in
                    destination.withMemoryRebound(to: CChar.self) { destination in
                        snappy_compress(source.baseAddress, source.count, destination.baseAddress, &length)
                    }
                }
            }
        }
        guard status == SNAPPY_OK else { return nil }
        output.removeLast(output.count - length)
        return output
    }

    public static func uncompress(_ input: [UInt8]) -> [UInt8]? {
        var length = 0
        let known = input.withUnsafeBufferPointer { source in
            source.withMemoryRebound(to: CChar.self) { snappy_uncompressed_length($0.baseAddress, $0.count, &length) }
        }
        guard known == SNAPPY_OK else { return nil }
        var output = [UInt8](repeating: 0, count: length)
        let status = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { destination in
                source.withMemoryRebound(to: CChar.self) { source in
                    destination.withMemoryRebound(to: CChar.self) { destination in
                        snappy_uncompress(source.baseAddress, source.count, destination.baseAddress, &length)
                    }
                }
            }
        }
        return status == SNAPPY_OK ? output : nil
    }
}
