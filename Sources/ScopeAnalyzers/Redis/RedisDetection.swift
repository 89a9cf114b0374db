/// Content detection for Redis from the first bytes of a direction.
enum RedisDetection {
    // SCAFFOLD: not implemented yet; detection by port only.
    static func match(_ bytes: UnsafeRawBufferPointer) -> ContentMatch { .no }
}
