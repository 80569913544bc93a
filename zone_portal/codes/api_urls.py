"""Routes of the code-table API; the project mounts them at ``/api/v1/codes/``."""

from rest_framework.routers import DefaultRouter

from . import api

router = DefaultRouter()
router.register("trade-modes", api.TradeModeViewSet, basename="codes-trade-mode")
router.register("countries", api.CountryViewSet, basename="codes-country")
router.register("currencies", api.CurrencyViewSet, basename="codes-currency")
router.register("units", api.UnitViewSet, basename="codes-unit")
router.register("transport-modes", api.TransportModeViewSet, basename="codes-transport-mode")
router.register("wrap-types", api.WrapTypeViewSet, basename="codes-wrap-type")
router.register("customs-districts", api.CustomsDistrictViewSet, basename="codes-customs-district")
router.register("divisions", api.DivisionViewSet, basename="codes-division")
router.register("hs-chapters", api.HsChapterViewSet, basename="codes-hs-chapter")
router.register("hs6", api.Hs6ViewSet, basename="codes-hs6")
router.register("hs-codes", api.HsCodeViewSet, basename="codes-hs-code")

urlpatterns = router.urls
