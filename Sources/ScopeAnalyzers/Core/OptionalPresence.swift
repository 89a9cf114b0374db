extension Optional {
    /// `!= nil` for sure without a copy. When `Wrapped` is Equatable, `x != nil`
    /// can resolve to Optional's Equatable `==`, which copies both sides into
    /// a tuple (a whole message, retaining every String in it) to compare them.
    @inline(__always)
    var isSome: Bool {
        if case .some = self { return true }
        return false
    }
}
