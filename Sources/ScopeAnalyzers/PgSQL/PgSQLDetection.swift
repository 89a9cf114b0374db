/// Content detection for PgSQL from the first bytes of a direction.
enum PgSQLDetection {
    // SCAFFOLD: not implemented yet; detection by port only.
    static func match(_ bytes: UnsafeRawBufferPointer) -> ContentMatch { .no }
}
