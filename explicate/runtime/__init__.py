"""explicate.runtime"""
