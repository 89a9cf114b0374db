/// Decodes the bound values of COM_STMT_EXECUTE (binary protocol) into
/// text: after statement id, flags and iteration count come a NULL bitmap,
/// the "new params bound" flag, each parameter's type (when bound) and the
/// values, laid out back to back in the types' binary encodings.
enum MySQLParams {
    enum Outcome: Equatable {
        case decoded([String])
        case failed(String)
    }

    /// `reader` stands after the statement id.
    static func decode(_ reader: inout MySQLReader, statement: inout MySQLStatement, limit: Int,
                       valueLimit: Int) -> Outcome {
        let count = statement.paramCount
        defer { statement.longData.removeAll() }
        guard count > 0 else { return .decoded([]) }
        guard reader.skip(5), let bitmap = reader.take((count &+ 7) / 8), let bound = reader.u8() else {
            return .failed("execute too short")
        }
        if bound == 1 {
            var types: [UInt16] = []
            types.reserveCapacity(count)
            for _ in 0..<count {
                guard let type = reader.u16() else { return .failed("execute too short") }
                types.append(type)
            }
            statement.types = types
        }
        guard statement.types.count == count else { return .failed("types never bound") }
        var values: [String] = []
        values.reserveCapacity(min(count, limit))
        for index in 0..<min(count, limit) {
            if bitmap[index / 8] & (1 << UInt8(index % 8)) != 0 {
                values.append("NULL")
            } else if statement.longData.contains(index) {
                values.append("<long data>")
            } else {
                guard let value = value(&reader, type: statement.types[index], limit: valueLimit) else {
                    return .failed("value \(index + 1) of type \(statement.types[index] & 0xFF) unreadable")
                }
                values.append(value)
            }
        }
        return .decoded(values)
    }

    /// One value; type's low byte is the MYSQL_TYPE, bit 15 "unsigned".
    static func value(_ reader: inout MySQLReader, type: UInt16, limit: Int) -> String? {
        let unsigned = type & 0x8000 != 0
        switch type & 0xFF {
        case 1: return reader.fixed(1).map { integer($0, width: 1, unsigned: unsigned) }
        case 2, 13: return reader.fixed(2).map { integer($0, width: 2, unsigned: unsigned) }
        case 3, 9: return reader.fixed(4).map { integer($0, width: 4, unsigned: unsigned) }
        case 8: return reader.fixed(8).map { integer($0, width: 8, unsigned: unsigned) }
        case 4: return reader.u32().map { Float(bitPattern: $0).description }
        case 5: return reader.fixed(8).map { Double(bitPattern: $0).description }
        case 6: return "NULL"
        case 7, 10, 12: return dateTime(&reader)
        case 11: return time(&reader)
        case 0, 15, 16, 245...255:
            return reader.lengthEncodedBytes().map { text($0, limit: limit) }
        default: return nil
        }
    }

    static func integer(_ raw: UInt64, width: Int, unsigned: Bool) -> String {
        if unsigned { return String(raw) }
        let shift = UInt64(64 &- width &* 8)
        return String(Int64(bitPattern: raw << shift) >> Int64(shift))  // sign-extend
    }

    static func text(_ bytes: UnsafeRawBufferPointer, limit: Int) -> String {
        bytes.count > limit ? String(mysql: bytes, limit: limit) + "…" : String(mysql: bytes)
    }

    /// DATE, DATETIME, TIMESTAMP: length 0, 4, 7 or 11.
    static func dateTime(_ reader: inout MySQLReader) -> String? {
        guard let length = reader.u8(), [0, 4, 7, 11].contains(length), var fields = reader.take(Int(length)).map({ MySQLReader($0) })
        else { return nil }
        guard length > 0 else { return "0000-00-00 00:00:00" }
        let year = fields.u16() ?? 0, month = fields.u8() ?? 0, day = fields.u8() ?? 0
        var text = "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
        if length >= 7 {
            let hour = fields.u8() ?? 0, minute = fields.u8() ?? 0, second = fields.u8() ?? 0
            text += " \(padded(hour, 2)):\(padded(minute, 2)):\(padded(second, 2))"
        }
        if length == 11 { text += ".\(padded(fields.u32() ?? 0, 6))" }
        return text
    }

    /// TIME: length 0, 8 or 12 (sign, days, h, m, s, microseconds).
    static func time(_ reader: inout MySQLReader) -> String? {
        guard let length = reader.u8(), [0, 8, 12].contains(length), var fields = reader.take(Int(length)).map({ MySQLReader($0) })
        else { return nil }
        guard length > 0 else { return "00:00:00" }
        let negative = (fields.u8() ?? 0) != 0
        let days = UInt64(fields.u32() ?? 0)
        let hours = days &* 24 &+ UInt64(fields.u8() ?? 0)
        let minute = fields.u8() ?? 0, second = fields.u8() ?? 0
        var text = "\(negative ? "-" : "")\(padded(hours, 2)):\(padded(minute, 2)):\(padded(second, 2))"
        if length == 12 { text += ".\(padded(fields.u32() ?? 0, 6))" }
        return text
    }

    static func padded(_ value: some BinaryInteger, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
