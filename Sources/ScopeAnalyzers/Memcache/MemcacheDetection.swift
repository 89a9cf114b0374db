/// Content detection for Memcache from the first bytes of a direction.
enum MemcacheDetection {
    // SCAFFOLD: not implemented yet; detection by port only.
    static func matchStream(_ bytes: UnsafeRawBufferPointer) -> ContentMatch { .no }
    static func matchDatagram(_ bytes: UnsafeRawBufferPointer) -> ContentMatch { .no }
}
