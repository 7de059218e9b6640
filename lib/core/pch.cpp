// Empty translation unit that carries the precompiled header (see lib/core/pch.h).
