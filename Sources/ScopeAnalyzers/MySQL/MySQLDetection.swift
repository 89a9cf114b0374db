/// Content detection for MySQL from the first bytes of a direction.
enum MySQLDetection {
    // SCAFFOLD: not implemented yet; detection by port only.
    static func match(_ bytes: UnsafeRawBufferPointer) -> ContentMatch { .no }
}
