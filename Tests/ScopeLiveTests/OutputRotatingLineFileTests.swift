import Foundation
import ScopeLive
import Testing

@Suite struct RotatingLineFileTests {
    private func scratch() -> String {
        let dir = NSTemporaryDirectory() + "rlf-\(getpid())-\(UInt32.random(in: 0 ... .max))"
        return dir
    }

    private func lines(_ path: String) -> [String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").map(String.init)
    }

    @Test func rotatesBySizeKeepingBackupsAndEveryLine() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/nested/events.ndjson"
        let file = try RotatingLineFile(policy: .init(path: path, rotateBytes: 1000, keep: 3))
        var batch: [UInt8] = []
        for index in 0..<200 {
            batch += Array("{\"seq\":\(index),\"pad\":\"\(String(repeating: "x", count: 40))\"}\n".utf8)
            if index % 3 == 2 { try file.write(batch); batch.removeAll() }
        }
        try file.write(batch)
        file.close()
        #expect(file.rotations > 3)
        #expect(!FileManager.default.fileExists(atPath: path + ".4"))
        // Oldest backup first: the kept lines are the newest, contiguous, in order.
        let files = [path + ".3", path + ".2", path + ".1", path]
        var sequence: [Int] = []
        for name in files {
            let data = try #require(FileManager.default.contents(atPath: name))
            #expect(data.count <= 1000, "\(name) has \(data.count) bytes")
            #expect(data.last == UInt8(ascii: "\n"))
            for line in lines(name) {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
                sequence.append(try #require(object["seq"] as? Int))
            }
        }
        #expect(sequence.last == 199)
        #expect(sequence == Array((200 - sequence.count)..<200))
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func appendsToAnExistingFileAndEnforcesItsMode() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let path = dir + "/events.ndjson"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("old\n".utf8), attributes: [.posixPermissions: 0o644]))
        let file = try RotatingLineFile(policy: .init(path: path, rotateBytes: 1 << 20, keep: 1))
        #expect(file.size == 4)
        try file.write(Array("new\n".utf8))
        file.close()
        #expect(lines(path) == ["old", "new"])
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func keepZeroDiscardsTheOldFile() throws {
        let dir = scratch()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/e.ndjson"
        let file = try RotatingLineFile(policy: .init(path: path, rotateBytes: 10, keep: 0))
        try file.write(Array("first line\n".utf8))
        try file.write(Array("second\n".utf8))
        file.close()
        #expect(lines(path) == ["second"])
        #expect(!FileManager.default.fileExists(atPath: path + ".1"))
    }

    @Test func unwritableDirectoryIsAOneLineError() throws {
        #expect {
            _ = try RotatingLineFile(policy: .init(path: "/proc/no-such-dir/events.ndjson"))
        } throws: { "\($0)".contains("cannot") && !"\($0)".contains("\n") }
    }
}
