import SyncletCore

// MARK: Metered prices: the one rule usage is charged by and quotes estimate with

extension Pricing {
    /// What a template prices after the license is issued, each at its own price and unit.
    public enum Meter: String, Sendable, CaseIterable {
        /// Priced per 1,000 views.
        case views
        /// Priced per production (video, episode, stream) the clip is used in.
        case uses
        /// Priced per play.
        case plays
    }

    /// The price and the unit it is quoted per: views per 1,000, uses and plays one by one.
    /// Usage charges (`UsagePricing.rate`) and quote estimates both read this table.
    public static func rate(for meter: Meter, per1000ViewsMicros: Int64, perPlayMicros: Int64,
                            perUseMicros: Int64) -> (priceMicros: Int64, unit: Int64) {
        switch meter {
        case .views: (per1000ViewsMicros, 1000)
        case .uses: (perUseMicros, 1)
        case .plays: (perPlayMicros, 1)
        }
    }

    /// This pricing's price and unit for a meter.
    public func rate(for meter: Meter) -> (priceMicros: Int64, unit: Int64) {
        Self.rate(for: meter, per1000ViewsMicros: per1000ViewsMicros, perPlayMicros: perPlayMicros, perUseMicros: perUseMicros)
    }

    /// What usage pricing has charged in all once a license's running total on a meter is
    /// `total`: floor(total × price ÷ unit), so no batching loses or invents a micro-unit.
    /// Nil past what the books hold (a total over `Money.totalMicrosMax`, a charge over
    /// `Money.amountMicrosMax`): usage rejects such an event, and a quote refuses such a use.
    public static func dueMicros(total: Int64, rate: (priceMicros: Int64, unit: Int64)) -> Int64? {
        guard (0...Money.totalMicrosMax).contains(total), rate.priceMicros >= 0, rate.unit > 0,
              let due = Money.floorProductIfRepresentable(quantity: total, priceMicros: rate.priceMicros, per: rate.unit),
              due <= Money.amountMicrosMax
        else { return nil }
        return due
    }
}

// MARK: Estimates

/// The usage a quote prices over the term: the use's expected views, and the productions and
/// plays the requester expects. Unstated, one production (a license is bought to be used at
/// least once) and no plays (nothing says the clip is played on its own). The quote answer
/// repeats it as `assumed`, so every estimate says what it counted.
public struct ExpectedUsage: Codable, Sendable, Equatable {
    public var views: Int64
    public var productions: Int64
    public var plays: Int64

    public static let productionsDefault: Int64 = 1
    public static let playsDefault: Int64 = 0
    /// A million productions: more than any channel publishes under one license.
    public static let productionsMax: Int64 = 1_000_000
    /// A trillion plays, the same bound as views (`IntendedUse.expectedViewsMax`).
    public static let playsMax: Int64 = 1_000_000_000_000

    /// The usage a request states, defaults filled in, range-checked.
    public init(views: Int64, productions: Int64? = nil, plays: Int64? = nil) throws(Problem) {
        self.views = views
        self.productions = productions ?? Self.productionsDefault
        self.plays = plays ?? Self.playsDefault
        try check()
    }

    /// Refuses counts out of range (422), naming the request field. A decoded value is
    /// checked again before it is priced.
    public func check() throws(Problem) {
        guard (0...IntendedUse.expectedViewsMax).contains(views) else {
            throw .invalid("expected_views must be from 0 to \(IntendedUse.expectedViewsMax).", field: "use.expected_views")
        }
        guard (0...Self.productionsMax).contains(productions) else {
            throw .invalid("expected_productions must be from 0 to \(Self.productionsMax).", field: "expected_productions")
        }
        guard (0...Self.playsMax).contains(plays) else {
            throw .invalid("expected_plays must be from 0 to \(Self.playsMax).", field: "expected_plays")
        }
    }
}

/// One part of an estimate: the license price, or what usage pricing charges on one meter.
public struct EstimateItem: Codable, Sendable, Equatable {
    /// What is priced: the license itself, or a meter.
    public enum Part: String, Codable, Sendable {
        case license, views, uses, plays

        init(_ meter: Pricing.Meter) {
            switch meter {
            case .views: self = .views
            case .uses: self = .uses
            case .plays: self = .plays
            }
        }
    }

    public var what: Part
    /// How many were assumed; nil for the license.
    public var quantity: Int64?
    public var micros: Int64

    public init(what: Part, quantity: Int64?, micros: Int64) {
        self.what = what
        self.quantity = quantity
        self.micros = micros
    }
}

/// Everything a template charges for a use: the parts and their sum.
public struct Estimate: Sendable, Equatable {
    public let items: [EstimateItem]
    public let micros: Int64
}

extension Pricing {
    /// Everything this pricing charges for `usage` over the term: the license price when it is
    /// issued, plus what usage pricing charges (`dueMicros`, the rule usage is charged by) for
    /// the views, productions and plays assumed. Refuses rather than saturates: nil when a part
    /// is past what the books hold, so an estimate is never a clipped or wrapped number.
    public func estimate(for usage: ExpectedUsage) -> Estimate? {
        guard (0...Money.amountMicrosMax).contains(flatMicros) else { return nil }
        var items = [EstimateItem(what: .license, quantity: nil, micros: flatMicros)]
        let metered: [(Meter, Int64)] = [(.views, usage.views), (.uses, usage.productions), (.plays, usage.plays)]
        for (meter, quantity) in metered {
            guard let micros = Self.dueMicros(total: quantity, rate: rate(for: meter)) else { return nil }
            items.append(EstimateItem(what: EstimateItem.Part(meter), quantity: quantity, micros: micros))
        }
        // Four parts of at most 10^15 each: the sum cannot overflow.
        let micros = items.reduce(Int64(0)) { $0 + $1.micros }
        return Estimate(items: items, micros: micros)
    }
}

// MARK: Quotes

/// One template's answer to a quote request.
public struct QuoteOption: Codable, Sendable, Equatable {
    public var template: String
    public var version: Int
    public var name: String
    public var covers: Bool
    /// The limits the use breaks (empty when it is covered).
    public var violations: [EnvelopeViolation]
    public var pricing: Pricing
    /// Everything the template charges for the use and the usage assumed, the sum of
    /// `estimateItems`: for comparing. Buying charges the license price; usage is charged
    /// as it is reported.
    public var estimatedMicros: Int64
    /// The parts of the estimate: license, views, uses, plays, in that order.
    public var estimateItems: [EstimateItem]

    public init(template: LicenseTemplate, violations: [EnvelopeViolation], estimate: Estimate) {
        self.template = template.id
        version = template.version
        name = template.name
        covers = violations.isEmpty
        self.violations = violations
        pricing = template.pricing
        estimatedMicros = estimate.micros
        estimateItems = estimate.items
    }

    enum CodingKeys: String, CodingKey {
        case template, version, name, covers, violations, pricing
        case estimatedMicros = "estimated_micros"
        case estimateItems = "estimate_items"
    }
}

extension TemplateCatalog {
    /// Every template's answer for a use and the usage expected over its term: those that
    /// cover both first, cheapest full estimate first; then those that do not, each with the
    /// limits it breaks. `usage.views` is the use's expected views. Refuses (422) usage so
    /// large that a template could not price it.
    public func quote(_ use: IntendedUse, expecting usage: ExpectedUsage) throws(Problem) -> [QuoteOption] {
        try usage.check()
        var options = [QuoteOption]()
        for template in templates {
            guard let estimate = template.pricing.estimate(for: usage) else {
                throw .invalid("\(usage.views) views, \(usage.productions) productions and \(usage.plays) plays would cost more under "
                               + "\(template.id) than one charge can be (\(Money(micros: Money.amountMicrosMax))); quote a smaller use.")
            }
            let violations = template.envelope.violations(of: use) + Self.usesBroken(template.envelope, usage)
            options.append(QuoteOption(template: template, violations: violations, estimate: estimate))
        }
        return options.sorted { a, b in
            if a.covers != b.covers { return a.covers }
            if a.estimatedMicros != b.estimatedMicros { return a.estimatedMicros < b.estimatedMicros }
            return a.template < b.template
        }
    }

    /// The answer with the default usage: the use's views, one production, no plays.
    public func quote(_ use: IntendedUse) throws(Problem) -> [QuoteOption] {
        try quote(use, expecting: ExpectedUsage(views: use.expectedViews))
    }

    /// The productions limit, worded as usage flags it (`max_uses`).
    static func usesBroken(_ envelope: Envelope, _ usage: ExpectedUsage) -> [EnvelopeViolation] {
        guard let max = envelope.maxUses, usage.productions > Int64(max) else { return [] }
        return [EnvelopeViolation(limit: "max_uses", detail: "\(usage.productions) productions are over the \(max) allowed")]
    }
}
